import { ServiceError } from '../errors.js';

/** A configuration problem; the message names the variable. */
export class ConfigError extends ServiceError<'ERR_CONFIG'> {
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super('ERR_CONFIG', `${variable} ${problem}`);
    this.variable = variable;
  }
}
