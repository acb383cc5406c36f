import WebSocket from 'ws';
import type { AppProcess } from './app-process.js';

export interface HttpAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

export async function postJson<T = Record<string, unknown>>(
  app: AppProcess,
  path: string,
  body: unknown,
  token?: string,
): Promise<HttpAnswer<T>> {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

export async function call<T = Record<string, unknown>>(
  app: AppProcess,
  method: string,
  path: string,
  token?: string,
): Promise<HttpAnswer<T>> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** Opens a raw socket and resolves with how the server closed it (or 'open' if it stayed open 1 s). */
export function closeOf(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ code: number; reason: string } | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => {
      ws.close();
      resolve('open');
    }, 1000);
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
    ws.on('error', () => undefined);
  });
}
