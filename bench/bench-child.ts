import { fork, type ChildProcess } from 'node:child_process';

/** A benchmark's child process (a TypeScript script run with tsx), answering one IPC message per command. */
export class BenchChild {
  private readonly process: ChildProcess;
  private readonly replies: object[] = [];
  private readonly waiters: Array<(reply: object) => void> = [];

  constructor(script: string) {
    this.process = fork(script, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.process.on('message', (reply: object) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(reply);
      else this.replies.push(reply);
    });
  }

  send(command: object): void {
    this.process.send(command);
  }

  ask<T>(command: object): Promise<T> {
    this.send(command);
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued as T);
    return new Promise((resolve, reject) => {
      this.waiters.push((reply) => resolve(reply as T));
      this.process.once('exit', (code) => reject(new Error(`bench child exited with ${code}`)));
    });
  }

  stop(): void {
    this.process.kill();
  }
}
