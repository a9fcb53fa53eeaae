import { ApiError, Status } from "../errors/api-error.js";

/** krakectl's exit codes: scripts can tell the classes of failure apart. */
export const ExitCode = {
  ok: 0,
  other: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  denied: 5,
  unavailable: 6,
  invalid: 7,
  timeout: 8,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that krakectl itself raises, with the exit code it ends with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = "CliError";
  }

  static usage(message: string): CliError {
    return new CliError(message, ExitCode.usage);
  }

  static invalid(message: string): CliError {
    return new CliError(message, ExitCode.invalid);
  }

  static timeout(message: string): CliError {
    return new CliError(message, ExitCode.timeout);
  }
}

/** The exit code for an API status code. */
export function exitCodeForStatus(code: Status): ExitCodeValue {
  switch (code) {
    case Status.NOT_FOUND:
      return ExitCode.notFound;
    case Status.ALREADY_EXISTS:
    case Status.ABORTED:
    case Status.FAILED_PRECONDITION:
      return ExitCode.conflict;
    case Status.PERMISSION_DENIED:
    case Status.UNAUTHENTICATED:
      return ExitCode.denied;
    case Status.UNAVAILABLE:
    case Status.DEADLINE_EXCEEDED:
      return ExitCode.unavailable;
    case Status.INVALID_ARGUMENT:
      return ExitCode.invalid;
    default:
      return ExitCode.other;
  }
}

export function exitCodeOf(err: unknown): ExitCodeValue {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ApiError) return exitCodeForStatus(err.code);
  return ExitCode.other;
}

/** One line that says what went wrong, never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof CliError || err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message.split("\n")[0];
  return String(err);
}
