/**
 * OpenAPI 3.1 document of one deployment, built from its snapshot's declared inputs and
 * outputs: the JSON call, the SSE stream, feedback, and the error envelope.
 */
import type { Flow, FlowIO, PortType } from '../../shared';
import { canPause } from '../durable/journal';

type JsonSchema = Record<string, unknown>;

const MESSAGE: JsonSchema = {
  type: 'object',
  required: ['role', 'content'],
  properties: { role: { type: 'string', enum: ['system', 'user', 'assistant'] }, content: { type: 'string' } },
};

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a value of a port type. */
export function portSchema(type: PortType): JsonSchema {
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'messages':
      return { type: 'array', items: MESSAGE };
    case 'list':
      return { type: 'array' };
    case 'documents':
      return {
        type: 'array',
        items: {
          oneOf: [
            { type: 'string' },
            {
              type: 'object',
              properties: { text: { type: 'string' }, metadata: { type: 'object' } },
              additionalProperties: true,
            },
          ],
        },
      };
    case 'json':
    case 'any':
      return {};
  }
}

function ioSchema(list: FlowIO[], opts: { inputs: boolean }): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const io of list) {
    const s: JsonSchema = { ...portSchema(io.type ?? 'string') };
    if (io.description) s.description = io.description;
    if (opts.inputs && io.default !== undefined) s.default = io.default;
    properties[io.name] = s;
    if (opts.inputs && io.required && io.default === undefined) required.push(io.name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: !opts.inputs };
}

export interface OpenApiOptions {
  slug: string;
  version: number;
  /** Origin the endpoints are served from, e.g. `https://braid.example.com`. */
  baseUrl: string;
  flow: Flow;
}

export function buildOpenApi(o: OpenApiOptions): JsonSchema {
  const { flow, slug } = o;
  const path = `/v1/endpoints/${slug}`;
  const errorRef = { $ref: '#/components/schemas/Error' };
  const err = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });
  // A flow that can pause for a person answers 202 with a status URL (docs/human-in-the-loop.md).
  const pausable = canPause(flow);
  return {
    openapi: '3.1.0',
    info: {
      title: `${flow.name} (${slug})`,
      version: String(o.version),
      description: [
        flow.description ?? '',
        `Braid deployment \`${slug}\`, version ${o.version}, of flow \`${flow.id}\`.`,
      ]
        .filter(Boolean)
        .join('\n\n'),
    },
    servers: [{ url: o.baseUrl }],
    security: [{ bearerAuth: [] }],
    paths: {
      [path]: {
        post: {
          operationId: 'run',
          summary: `Run ${flow.name}`,
          description:
            'Runs the live version. Send `"stream": true` or `Accept: text/event-stream` to receive `token` events and a final `result` event over SSE.',
          parameters: [
            {
              name: 'version',
              in: 'query',
              required: false,
              description: 'Pin a version instead of the live one.',
              schema: { type: 'integer', minimum: 1 },
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/RunRequest' } } },
          },
          responses: {
            '200': {
              description: 'The outputs of the run',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/RunResponse' } },
                'text/event-stream': {
                  schema: {
                    type: 'string',
                    description:
                      'SSE: `token` events ({ token, nodeId }), then one `result` event (RunResponse) or `error` event.',
                  },
                },
              },
            },
            ...(pausable
              ? {
                  '202': {
                    description:
                      'The run waits for a person. Poll `statusUrl` with the same key, or give `webhook` to be told when it ends (SSE: a final `waiting` event with the same fields).',
                    content: { 'application/json': { schema: { $ref: '#/components/schemas/Waiting' } } },
                  },
                }
              : {}),
            '400': err('Invalid inputs (details.issues[].path names the input)'),
            '401': err('Missing, unknown or revoked API key'),
            '403': err('The key belongs to another deployment, or the Origin is not allowed'),
            '404': err('No such deployment or version'),
            '413': err('Request body too large'),
            '429': {
              ...err('Rate limited; retry after the Retry-After header (seconds)'),
              headers: { 'Retry-After': { schema: { type: 'integer' } } },
            },
            '500': err('The flow failed'),
            '504': err('The run exceeded the deployment timeout'),
          },
        },
      },
      ...(pausable
        ? {
            [`${path}/runs/{runId}`]: {
              get: {
                operationId: 'runStatus',
                summary: 'The state of a run that paused',
                parameters: [{ name: 'runId', in: 'path', required: true, schema: { type: 'string' } }],
                responses: {
                  '200': {
                    description: 'Its status; the outputs once it succeeded',
                    content: { 'application/json': { schema: { $ref: '#/components/schemas/RunState' } } },
                  },
                  '401': err('Missing, unknown or revoked API key'),
                  '404': err('No such run of this deployment for this key'),
                },
              },
            },
          }
        : {}),
      [`${path}/feedback`]: {
        post: {
          operationId: 'feedback',
          summary: 'Rate a response',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Feedback' } } },
          },
          responses: {
            '200': {
              description: 'Recorded',
              content: { 'application/json': { schema: { type: 'object', properties: { ok: { type: 'boolean' } } } } },
            },
            '400': err('Invalid feedback'),
            '401': err('Missing, unknown or revoked API key'),
            '404': err('No such trace for this deployment'),
          },
        },
      },
    },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A deployment API key (brd_…)' } },
      schemas: {
        Inputs: ioSchema(flow.inputs ?? [], { inputs: true }),
        Outputs: ioSchema(flow.outputs ?? [], { inputs: false }),
        RunRequest: {
          type: 'object',
          required: ['inputs'],
          properties: {
            inputs: { $ref: '#/components/schemas/Inputs' },
            stream: { type: 'boolean', default: false },
            sessionId: {
              type: 'string',
              maxLength: 128,
              description: 'Conversation id: chat flows remember earlier turns of the same session.',
            },
            webhook: {
              type: 'string',
              format: 'uri',
              maxLength: 2048,
              description:
                'http(s) URL POSTed the outcome (signed, X-Braid-Signature) when a run that answered 202 ends.',
            },
          },
        },
        ...(pausable
          ? {
              Waiting: {
                type: 'object',
                required: ['runId', 'status', 'statusUrl'],
                properties: {
                  runId: { type: 'string' },
                  status: { type: 'string', const: 'waiting' },
                  statusUrl: { type: 'string', format: 'uri' },
                },
              },
              RunState: {
                type: 'object',
                required: ['runId', 'status', 'version', 'statusUrl'],
                properties: {
                  runId: { type: 'string' },
                  status: { type: 'string', enum: ['running', 'waiting', 'succeeded', 'failed', 'cancelled'] },
                  version: { type: 'integer' },
                  statusUrl: { type: 'string', format: 'uri' },
                  createdAt: { type: 'integer' },
                  updatedAt: { type: 'integer' },
                  pendingTasks: { type: 'integer' },
                  outputs: { $ref: '#/components/schemas/Outputs' },
                  error: {
                    type: 'object',
                    required: ['code', 'message'],
                    properties: { code: { type: 'string' }, message: { type: 'string' } },
                  },
                  webhook: {
                    type: 'object',
                    description: 'The completion webhook: url, status (pending | delivered | failed), attempts, …',
                  },
                },
              },
            }
          : {}),
        Usage: {
          type: 'object',
          required: ['promptTokens', 'completionTokens', 'totalTokens', 'cost'],
          properties: {
            promptTokens: { type: 'integer' },
            completionTokens: { type: 'integer' },
            totalTokens: { type: 'integer' },
            cost: { type: ['number', 'null'], description: 'USD; null when a model price is unknown' },
          },
        },
        RunResponse: {
          type: 'object',
          required: ['outputs', 'traceId', 'usage'],
          properties: {
            outputs: { $ref: '#/components/schemas/Outputs' },
            traceId: { type: 'string' },
            usage: { $ref: '#/components/schemas/Usage' },
          },
        },
        Feedback: {
          type: 'object',
          required: ['traceId', 'score'],
          properties: {
            traceId: { type: 'string' },
            score: {
              oneOf: [
                { type: 'number', minimum: 0, maximum: 5 },
                { type: 'string', enum: ['up', 'down'] },
              ],
              description: 'thumbs: 1/0 or "up"/"down"; rating: 1–5',
            },
            comment: { type: 'string', maxLength: 4000 },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            },
          },
        },
      },
    },
  };
}
