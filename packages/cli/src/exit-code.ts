/**
 * The exit statuses of `patinox`, from sysexits.h where one fits, so scripts and supervisors
 * can tell "nothing there" from "could not ask". Documented in the package README.
 */
export const ExitCode = {
  /** The command did what was asked. */
  Ok: 0,
  /** The key or the knowledge bucket asked about does not exist. */
  NotFound: 1,
  /**
   * `patinox run`: the agent answered, but the run did not complete (failed, cancelled, stopped
   * at max steps) or was refused before it started.
   */
  RunFailed: 2,
  /** Bad command line: unknown command, missing argument, invalid key or option (EX_USAGE). */
  Usage: 64,
  /**
   * The data is wrong: an agent definition file is invalid, or the live record of an agent
   * cannot be read (EX_DATAERR).
   */
  DataError: 65,
  /** An input file or directory does not exist or cannot be read (EX_NOINPUT). */
  NoInput: 66,
  /** NATS (or JetStream) could not be reached or stopped answering (EX_UNAVAILABLE). */
  Unavailable: 69,
  /** An unexpected error: a bug in `patinox` (EX_SOFTWARE). */
  Software: 70,
  /**
   * A compare-and-set write kept losing to other writers; trying again later should work
   * (EX_TEMPFAIL).
   */
  TempFail: 75,
  /** NATS refused the configured credentials (EX_NOPERM). */
  NoPermission: 77,
  /** A configuration variable is invalid; the same status the services use (EX_CONFIG). */
  Config: 78,
  /** Interrupted (Ctrl-C) before a one-shot command finished: 128 + SIGINT. */
  Interrupted: 130,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
