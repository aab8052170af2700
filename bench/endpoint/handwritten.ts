/**
 * The hand-written reference of the endpoint benchmark (issue 14): what a developer writes
 * without Braid — Express 5, `express.json()`, one route, LangChain's `ChatOpenAI` with its
 * defaults (the OpenAI SDK's fetch, its retries) and the flow's model settings, calling the
 * same OpenAI-compatible server with the same two messages. No key check, rate limit, trace,
 * request log or metrics.
 *
 *   npx tsx bench/endpoint/handwritten.ts --openai http://127.0.0.1:PORT/v1 [--port 0] [--stream]
 *
 * Prints `listening at http://127.0.0.1:PORT` when ready.
 */
import type { AddressInfo } from 'node:net';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import express from 'express';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};

/** `--stream`: read the model's reply as a stream (`model.stream()`), as a flow whose prompt node streams does. */
const STREAM = args.includes('--stream');

const model = new ChatOpenAI({
  model: 'gpt-4o-mini',
  temperature: 0,
  apiKey: 'sk-bench-0123456789',
  configuration: { baseURL: arg('--openai', 'http://127.0.0.1:8080/v1') },
});

const app = express();
app.use(express.json());
app.post('/v1/endpoints/:slug', async (req, res) => {
  const question = (req.body as { inputs?: { question?: unknown } } | undefined)?.inputs?.question;
  if (typeof question !== 'string') {
    res.status(400).json({ error: { code: 'invalid_inputs', message: 'inputs.question must be a string' } });
    return;
  }
  const messages = [new SystemMessage('Answer briefly.'), new HumanMessage(question)];
  if (STREAM) {
    // What a streaming prompt node does for a JSON caller: read the model's stream to the end.
    let answer = '';
    for await (const chunk of await model.stream(messages))
      answer += typeof chunk.content === 'string' ? chunk.content : '';
    res.json({ outputs: { answer } });
    return;
  }
  const reply = await model.invoke(messages);
  res.json({ outputs: { answer: reply.content } });
});

const server = app.listen(Number(arg('--port', '0')), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening at http://127.0.0.1:${port}\n`);
});
server.keepAliveTimeout = 5_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
