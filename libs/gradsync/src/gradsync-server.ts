import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import {
  checkToken,
  clientCredentials,
  loadProtos,
  parseHostPort,
  serveHealthAndReflection,
  serverCredentials,
  type RingJoin__Output,
  type RingRequest__Output,
  type TlsFiles,
} from '@jvae/protocol';
import { RingError } from './ring-error.js';
import { RingMember, type RingMemberOptions, type SuccessorCall } from './ring-member.js';

export interface GradSyncServerOptions {
  /** host:port to serve GradSync on (JVAE_GRADSYNC_LISTEN); port 0 picks a free port. Default 0.0.0.0:0. */
  listen?: string;
  /**
   * Host the other ranks reach this server by (JVAE_GRADSYNC_HOST). Default:
   * the listen host, or this machine's host name when listening on every interface.
   */
  host?: string;
  /** TLS files as for every server of the project; the ring's calls to predecessors use the same files as a client. */
  tls?: TlsFiles;
  /** Shared token (JVAE_TOKEN): required of every caller and sent on every call to a predecessor. */
  token?: string;
}

const SERVICE = 'jvae.v1.GradSync';
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]']);

/** Members and waiting joins are found by the ring and rank they belong to. */
const memberKey = (groupId: string, generation: number, rank: number) => JSON.stringify([groupId, generation, rank]);

/**
 * One process's GradSync server. It outlives rings: each ring the process
 * takes part in (one per rendezvous generation) is a RingMember made with
 * joinRing(). A rank's call to its predecessor is handed to the member it
 * names, and waits when that member is not made yet.
 */
export class GradSyncServer {
  /** Advertised host:port (the host setting and the bound port); give it to the successor. */
  readonly address: string;
  private readonly members = new Map<string, RingMember>();
  private readonly waiting = new Map<string, { call: SuccessorCall; join: RingJoin__Output }>();
  private readonly credentials: grpc.ChannelCredentials;
  private closed = false;

  private constructor(
    private readonly server: grpc.Server,
    address: string,
    private readonly options: GradSyncServerOptions,
  ) {
    this.address = address;
    this.credentials = clientCredentials(options.tls);
  }

  /** Binds the server; a bad or busy address is a usage error naming it. */
  static async start(options: GradSyncServerOptions = {}): Promise<GradSyncServer> {
    const listen = options.listen ?? '0.0.0.0:0';
    const bind = hostPort(listen, 'listen');
    const host = options.host ?? (WILDCARD_HOSTS.has(bind.host) ? hostname() : bind.host);
    hostPort(`${host}:0`, 'host');
    const server = new grpc.Server();
    let self: GradSyncServer | undefined;
    const { service } = loadProtos().proto.jvae.v1.GradSync;
    // Frames are encoded by ring-frames.ts, in place; the server passes them through.
    const definition = { ...service, Ring: { ...service.Ring, responseSerialize: (frame: Buffer) => frame } };
    server.addService(definition, {
      Ring: (call: SuccessorCall) => (self ? self.accept(call) : refuse(call, grpc.status.UNAVAILABLE, 'GradSync server is starting')),
    });
    serveHealthAndReflection(server, [SERVICE]);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(listen, serverCredentials(options.tls), (error, bound) =>
        error ? reject(new RingError('usage', `cannot listen on ${listen}: ${error.message}`)) : resolve(bound),
      ),
    );
    self = new GradSyncServer(server, `${host}:${port}`, options);
    return self;
  }

  /**
   * Makes this process's member of a ring (validating the options) and hands
   * it the successor's call if that is already waiting.
   */
  joinRing(options: RingMemberOptions): RingMember {
    if (this.closed) throw new RingError('usage', 'the GradSync server is closed');
    const key = memberKey(options.groupId, options.generation, options.rank);
    const member = new RingMember(options, {
      credentials: this.credentials,
      token: this.options.token,
      waitingJoins: () => [...this.waiting.values()].map(({ join: j }) => `rank ${j.rank} of group ${j.groupId} generation ${j.generation}`),
      release: (m) => this.members.get(key) === m && this.members.delete(key),
    });
    if (this.members.has(key)) {
      throw new RingError('usage', `rank ${member.rank} of group ${member.groupId} generation ${member.generation} already has a member here`);
    }
    this.members.set(key, member);
    member.open();
    for (const [waitingKey, { call, join }] of this.waiting) {
      if (waitingKey === key) {
        this.waiting.delete(waitingKey);
        member.attachSuccessor(call, join);
      } else if (join.groupId === member.groupId && join.generation < member.generation) {
        this.waiting.delete(waitingKey);
        refuse(call, grpc.status.FAILED_PRECONDITION, staleJoin(join, member));
      }
    }
    return member;
  }

  /** Closes every member, refuses waiting joins and stops serving. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.members.values()].map((m) => m.close()));
    for (const { call } of this.waiting.values()) refuse(call, grpc.status.UNAVAILABLE, 'GradSync server is closing');
    this.waiting.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private accept(call: SuccessorCall): void {
    const denied = checkToken(call, this.options.token);
    if (denied) return void call.emit('error', denied);
    call.on('error', () => {});
    call.once('data', (request: RingRequest__Output) => {
      if (request.body !== 'join' || !request.join) {
        return refuse(call, grpc.status.INVALID_ARGUMENT, 'the first message of a Ring call must be a join');
      }
      this.route(call, request.join);
    });
  }

  private route(call: SuccessorCall, join: RingJoin__Output): void {
    const problem = joinProblem(join);
    if (problem) return refuse(call, grpc.status.INVALID_ARGUMENT, problem);
    if (this.closed) return refuse(call, grpc.status.UNAVAILABLE, 'GradSync server is closing');
    const key = memberKey(join.groupId, join.generation, (join.rank + join.world - 1) % join.world);
    const member = this.members.get(key);
    if (member) return member.attachSuccessor(call, join);
    const newer = [...this.members.values()].find((m) => m.groupId === join.groupId && m.generation > join.generation);
    if (newer) return refuse(call, grpc.status.FAILED_PRECONDITION, staleJoin(join, newer));
    if (this.waiting.has(key)) {
      return refuse(call, grpc.status.ALREADY_EXISTS, `rank ${join.rank} of group ${join.groupId} generation ${join.generation} is already waiting here`);
    }
    this.waiting.set(key, { call, join });
    call.on('cancelled', () => this.waiting.get(key)?.call === call && this.waiting.delete(key));
  }
}

function joinProblem(join: RingJoin__Output): string | undefined {
  if (join.groupId === '') return 'join without a group id';
  if (join.world < 2) return `join for a world of ${join.world}: a ring needs at least 2 ranks`;
  if (join.rank >= join.world) return `join as rank ${join.rank} of a world of ${join.world}`;
  return undefined;
}

function staleJoin(join: RingJoin__Output, member: RingMember): string {
  return (
    `rank ${join.rank} of group ${join.groupId} joined with generation ${join.generation}, ` +
    `but this server's rank ${member.rank} is at generation ${member.generation}`
  );
}

function refuse(call: SuccessorCall, code: grpc.status, details: string): void {
  call.emit('error', { code, details });
}

/** The host and port of a host:port option; a bad value is a usage error naming the option. */
function hostPort(address: string, option: string): { host: string; port: number } {
  try {
    return parseHostPort(address, option);
  } catch (error) {
    throw new RingError('usage', (error as Error).message);
  }
}
