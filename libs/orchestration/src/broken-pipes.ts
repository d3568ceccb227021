/**
 * Makes a broken pipe on this process's stdout or stderr harmless. The coordinator's output,
 * and that of the workers it runs (they share it), is a pipe to the process that started it
 * (`jvae up`); once that process is killed, every write fails with EPIPE, and an unhandled
 * stream error would crash the coordinator or a worker before it has stopped its workers or
 * left the worker registry. What is printed from then on is lost; any other error still throws.
 */
export function ignoreBrokenPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}
