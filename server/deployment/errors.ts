/** Errors of the deployment use cases, carrying the HTTP status the routes send. */
export class DeploymentError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DeploymentError';
  }
}
