import type { FastifyInstance } from 'fastify';
import { VERSION } from '../platform/version.js';
import { runReadiness, type ReadinessCheck } from './health.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Until the web UI exists, `/` is a small status page: version, health, and where the API is. */
export function registerHomePage(app: FastifyInstance, checks: Record<string, ReadinessCheck>): void {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    const readiness = await runReadiness(checks);
    const rows = Object.entries(readiness.checks)
      .map(([name, r]) => `<tr><td>${escapeHtml(name)}</td><td class="${r.ok ? 'ok' : 'bad'}">${r.ok ? 'ok' : escapeHtml(r.error ?? 'failing')}</td></tr>`)
      .join('');
    reply.type('text/html; charset=utf-8');
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Crucible ${escapeHtml(VERSION)}</title>
<style>body{font:15px system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
td{padding:.2rem 1rem .2rem 0}.ok{color:#1a7f37}.bad{color:#cf222e}code{background:#f3f3f3;padding:0 .3rem}</style></head>
<body><h1>Crucible <small>${escapeHtml(VERSION)}</small></h1>
<p>Status: <strong class="${readiness.status === 'ready' ? 'ok' : 'bad'}">${readiness.status}</strong></p>
<table>${rows}</table>
<ul><li><a href="/api/docs">API documentation</a> (<a href="/api/v1/openapi.json">OpenAPI</a>)</li>
<li><a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></li></ul>
<p>Use the CLI: <code>npx crucible --help</code></p></body></html>`;
  });
}
