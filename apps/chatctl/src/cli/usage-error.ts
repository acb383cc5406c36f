/** A command line the CLI cannot act on: printed with the usage and exit code 64 (EX_USAGE). */
export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
