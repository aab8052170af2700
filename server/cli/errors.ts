/** Exit codes: 0 ok, 1 the flow failed, 2 bad usage or invalid flow, 3 the run waits for a person. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** `braid run` of a flow that paused (a Human node, a tool approval): the run is stored and resumes when decided. */
export const EXIT_WAITING = 3;

/** Thrown by commands to stop with a message and an exit code. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}
