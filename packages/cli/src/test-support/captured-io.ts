import type { Environment } from "@patinox/runtime";
import type { CliIo } from "../io.ts";

/** A {@link CliIo} that keeps what the CLI writes, for in-process runs of `runCli`. */
export class CapturedIo implements CliIo {
  stdoutText = "";
  stderrText = "";
  readonly env: Environment;
  readonly signal: AbortSignal;
  readonly #interrupt = new AbortController();
  /** Called on every stdout write, so a test can wait for watch output. */
  onStdout: (text: string) => void = () => {};

  constructor(env: Environment) {
    this.env = env;
    this.signal = this.#interrupt.signal;
  }

  readonly stdout = {
    write: (text: string) => {
      this.stdoutText += text;
      this.onStdout(text);
    },
  };

  readonly stderr = {
    write: (text: string) => {
      this.stderrText += text;
    },
  };

  /** Simulates Ctrl-C. */
  interrupt(): void {
    this.#interrupt.abort();
  }

  /** Resolves once stdout contains `count` lines. */
  async lines(count: number): Promise<string[]> {
    const done = () => this.stdoutText.split("\n").filter((l) => l !== "").length >= count;
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
    return this.stdoutText.split("\n").filter((l) => l !== "");
  }
}
