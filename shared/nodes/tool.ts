import { z } from 'zod';
import { defineNodeType } from './define';
import { templatesVariables, SAFE_VARIABLE, SAFE_VARIABLE_MESSAGE } from '../template';
import { portType } from '../flow/schema';
import type { PortSpec } from '../ports';

export const declaredInputSchema = z
  .object({
    name: z.string().regex(SAFE_VARIABLE, SAFE_VARIABLE_MESSAGE),
    type: portType.default('any'),
    required: z.boolean().default(true),
  })
  .strict();

export const httpToolConfig = z
  .object({
    kind: z.literal('http'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
    /** Mustache template; variables become input ports (values are URL-encoded). */
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).default({}),
    /** Mustache template for the request body. */
    body: z.string().optional(),
    responseType: z.enum(['auto', 'json', 'text']).default('auto'),
    timeoutMs: z.number().int().min(1).max(300_000).default(15_000),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .max(50 * 1024 * 1024)
      .default(2 * 1024 * 1024),
    /** Treat non-2xx responses as node errors. */
    failOnHttpError: z.boolean().default(true),
    /**
     * Retry POST/PUT/PATCH/DELETE on 5xx, 429, timeouts and dropped connections as GET and
     * HEAD are (the node's `retry` budget). Off by default: the target may already have acted
     * on a request whose answer was lost. A request that never reached it is always retried.
     */
    retryUnsafe: z.boolean().default(false),
  })
  .strict();

export const codeToolConfig = z
  .object({
    kind: z.literal('code'),
    /** JavaScript; the inputs are globals, the value of the last expression or `return` is the result. */
    code: z.string().default('return input;'),
    inputs: z.array(declaredInputSchema).default([{ name: 'input', type: 'any', required: true }]),
    timeoutMs: z.number().int().min(1).max(60_000).default(1_000),
    memoryMb: z.number().int().min(1).max(512).default(32),
  })
  .strict();

export const toolConfig = z.discriminatedUnion('kind', [httpToolConfig, codeToolConfig]);
export type ToolConfig = z.output<typeof toolConfig>;
export type HttpToolConfig = z.output<typeof httpToolConfig>;
export type CodeToolConfig = z.output<typeof codeToolConfig>;

export function httpTemplates(config: HttpToolConfig): string[] {
  return [config.url, ...Object.keys(config.headers), ...Object.values(config.headers), config.body ?? ''];
}

export const toolNode = defineNodeType({
  type: 'tool',
  title: 'Tool',
  category: 'Tools',
  icon: 'wrench',
  docs: 'Call out of the flow. `kind: "http"` sends a templated request (method, URL, headers, body: their `{{variables}}` become input ports) and returns `body`, `status` and `headers`; only GET and HEAD are retried on 5xx, 429, timeouts and dropped connections unless `retryUnsafe: true` (a request that never reached the target is always retried); loopback, private, link-local and metadata addresses are refused unless the server\'s allow-list (`BRAID_HTTP_ALLOW_HOSTS`) names the host. `kind: "code"` runs JavaScript in a QuickJS sandbox (no process, require, network or files; time and memory limits) with its declared inputs as globals and returns `result`.',
  config: toolConfig,
  inputs: (config): PortSpec[] => {
    if (config.kind === 'code') return config.inputs.map((i) => ({ name: i.name, type: i.type, required: i.required }));
    let vars: ReturnType<typeof templatesVariables> = [];
    try {
      vars = templatesVariables(httpTemplates(config));
    } catch {
      vars = [];
    }
    return vars
      .filter((v) => SAFE_VARIABLE.test(v.name))
      .map((v) => ({ name: v.name, type: v.usage === 'section' ? 'any' : 'string', required: true }));
  },
  outputs: (config): PortSpec[] =>
    config.kind === 'code'
      ? [{ name: 'result', type: 'json' }]
      : [
          { name: 'body', type: 'json' },
          { name: 'status', type: 'number' },
          { name: 'headers', type: 'json' },
        ],
  editors: { code: 'javascript', body: 'mustache' },
  templates: ['url', 'headers'],
  preview: (config) => (config.kind === 'http' ? `${config.method} ${config.url}` : config.code.trim()),
  example: { kind: 'http', method: 'GET', url: 'https://api.example.com/search?q={{query}}' },
});
