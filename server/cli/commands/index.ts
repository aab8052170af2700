/**
 * Every CLI command module, one line each. Domains add theirs (kb, eval, deploy, worker):
 * a module in this folder exporting `register(program: Command)`.
 */
import type { Command } from 'commander';
import * as serve from './serve';
import * as run from './run';
import * as validate from './validate';
import * as evaluate from './eval';
import * as deploy from './deploy';
import * as kb from './kb';
import * as worker from './worker';
import * as dataset from './dataset';

export interface CommandModule {
  register(program: Command): void;
}

export const commandModules: CommandModule[] = [serve, run, validate, evaluate, deploy, kb, worker, dataset];
