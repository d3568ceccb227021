/**
 * Requests that cannot be decoded are the client's fault, answered INVALID_ARGUMENT naming what
 * is wrong. Left to itself, grpc-js answers bytes that are not the method's message with
 * INTERNAL, and protobuf decoding turns a string field that is not UTF-8 into U+FFFD characters,
 * which would then be stored. A strict service decodes each request to either the message or a
 * marker saying what is wrong with it; the interceptor answers the marker before any handler runs.
 */
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { PROTO_FILES, PROTO_ROOT } from './protos.js';

const MALFORMED = Symbol('malformed request');

interface MalformedRequest {
  [MALFORMED]: string;
}

function isMalformed(message: unknown): message is MalformedRequest {
  return typeof message === 'object' && message !== null && MALFORMED in message;
}

let root: protobuf.Root | undefined;

/** The project's protos as protobufjs reflection (field names in camelCase, as messages have them). */
function protoRoot(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => join(PROTO_ROOT, target);
    root.loadSync([...PROTO_FILES]).resolveAll();
  }
  return root;
}

/**
 * The dotted path (`manifest.files[1].path`) of the first string field in the encoded
 * message `bytes` of `type` that is not valid UTF-8, or undefined when there is none.
 * Throws where the bytes are not a sequence of well-formed fields.
 */
export function invalidUtf8Field(type: protobuf.Type, bytes: Uint8Array, prefix = ''): string | undefined {
  const reader = protobuf.Reader.create(bytes);
  const seen = new Map<number, number>();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = type.fieldsById[tag >>> 3];
    const lengthDelimited = (tag & 7) === 2;
    const nested = field?.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (!field || !lengthDelimited || (field.type !== 'string' && !nested)) {
      reader.skipType(tag & 7);
      continue;
    }
    const index = seen.get(field.id) ?? 0;
    seen.set(field.id, index + 1);
    const path = `${prefix}${field.name}${field.repeated ? `[${index}]` : ''}`;
    const value = reader.bytes();
    if (nested) {
      const inner = invalidUtf8Field(nested, value, `${path}.`);
      if (inner) return inner;
    } else if (!isUtf8(value)) {
      return path;
    }
  }
  return undefined;
}

function strictDeserializer(method: grpc.MethodDefinition<unknown, unknown>): (bytes: Buffer) => unknown {
  const [, service, name] = /^\/([^/]+)\/([^/]+)$/.exec(method.path)!;
  const type = protoRoot().lookupService(service!).methods[name!]!.resolvedRequestType!;
  return (bytes) => {
    // The walk first: the deserializer lets a length past the end of the bytes pass.
    let field: string | undefined;
    let message: unknown;
    try {
      field = invalidUtf8Field(type, bytes);
      message = method.requestDeserialize(bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { [MALFORMED]: `request: not a valid ${type.fullName.replace(/^\./, '')} message (${reason})` };
    }
    return field ? { [MALFORMED]: `${field}: not valid UTF-8` } : message;
  };
}

/** `definition` with every request decoded strictly; serve it on a server with `rejectMalformedRequests`. */
export function strictService(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [name, { ...method, requestDeserialize: strictDeserializer(method) }]),
  );
}

/** Answers a request a strict service could not decode with INVALID_ARGUMENT; its handler never sees it. */
export const rejectMalformedRequests: grpc.ServerInterceptor = (_method, next) => {
  const call: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(next, {
    start: (proceed) =>
      proceed({
        onReceiveMessage: (message, pass) => {
          if (isMalformed(message)) call.sendStatus({ code: grpc.status.INVALID_ARGUMENT, details: message[MALFORMED] });
          else pass(message);
        },
      }),
  });
  return call;
};
