import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTokenDto, JobDto, LoginResponse } from '@jobflow/shared';
import { errorOf, startStack, type Stack } from '../support/stack';

let stack: Stack;
const dist = fileURLToPath(new URL('../../ui/dist', import.meta.url));

beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(() => stack.stop());

const ninetyThousandKeys = () => JSON.stringify(Object.fromEntries(Array.from({ length: 90_000 }, (_, i) => [`k${i}`, 1])));

describe('bodies are read only once the caller is signed in, within depth and key limits', () => {
  it('a stranger’s body is never parsed: broken or huge, the answer is 401', async () => {
    const big = ninetyThousandKeys();
    expect(big.length).toBeGreaterThan(900_000);
    for (const raw of ['{"name": ', big, '['.repeat(10_000)]) {
      const res = await stack.request<JobDto>('POST', '/api/jobs', { raw, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(401);
      expect(errorOf(res).code).toBe('unauthorized');
    }
  });

  it('a signed-in caller’s 90,000 keys or 10,000 levels are refused before anything is built from them', async () => {
    const token = stack.admin.token;
    const keys = await stack.request<JobDto>('POST', '/api/jobs', { token, raw: ninetyThousandKeys(), headers: { 'content-type': 'application/json' } });
    expect(keys.status).toBe(413);
    expect(errorOf(keys).message).toMatch(/keys/);
    const deep = await stack.request<JobDto>('POST', '/api/jobs', {
      token,
      raw: '['.repeat(10_000) + ']'.repeat(10_000),
      headers: { 'content-type': 'application/json' },
    });
    expect(deep.status).toBe(413);
    expect(errorOf(deep).message).toMatch(/deeper/);
    // Sign-in reads its body before knowing anyone: the same limits hold there.
    const login = await stack.request<LoginResponse>('POST', '/api/auth/login', { raw: ninetyThousandKeys(), headers: { 'content-type': 'application/json' } });
    expect(login.status).toBe(413);
  });

  it('a body that is not JSON is a 415', async () => {
    const res = await stack.request<JobDto>('POST', '/api/jobs', {
      token: stack.admin.token,
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    expect(errorOf(res).code).toBe('unsupported_media_type');
  });

  it('validation details are capped', async () => {
    const params = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`extra${i}`, i]));
    const res = await stack.request<JobDto>('POST', '/api/jobs', { token: stack.admin.token, body: { name: 'many problems', type: 'sleep', params } });
    expect(res.status).toBe(422);
    expect(errorOf(res).details.length).toBeLessThanOrEqual(21);
    expect(errorOf(res).details.at(-1)?.message).toMatch(/more problems/);
  });
});

describe('headers', () => {
  const expectCommon = (headers: Headers) => {
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  };

  it('pages (the UI and /api/docs) get a strict CSP: no inline script, no eval', async () => {
    for (const path of ['/', '/jobs/new', '/api/docs']) {
      const res = await fetch(stack.baseUrl + path);
      expect(res.status).toBe(200);
      expectCommon(res.headers);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(csp).toMatch(/object-src 'none'/);
      // Nothing inline for the CSP to refuse.
      expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
  });

  it('API answers are never cached and carry nosniff; a 401 says how to authenticate', async () => {
    const jobs = await stack.request('GET', '/api/jobs', { token: stack.admin.token });
    expectCommon(jobs.headers);
    expect(jobs.headers.get('cache-control')).toBe('no-store');
    const anonymous = await stack.request('GET', '/api/jobs');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const login = await stack.request<LoginResponse>('POST', '/api/auth/login', { body: { email: stack.admin.email, password: stack.admin.password } });
    expect(login.body.token).toEqual(expect.any(String));
    expect(login.headers.get('cache-control')).toBe('no-store');
    const token = await stack.request<CreatedTokenDto>('POST', '/api/tokens', { token: stack.admin.token, body: { name: 'ci' } });
    expect(token.body.token).toEqual(expect.any(String));
    expect(token.headers.get('cache-control')).toBe('no-store');
  });

  it('no source maps are built or served', async () => {
    const assets = readdirSync(`${dist}/assets`);
    expect(assets.filter((f) => f.endsWith('.map'))).toEqual([]);
    const scripts = assets.filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const file of scripts) expect(readFileSync(`${dist}/assets/${file}`, 'utf8'), file).not.toMatch(/sourceMappingURL/);
    const res = await fetch(`${stack.baseUrl}/assets/${scripts[0]}.map`);
    expect(res.status).toBe(404);
  });
});
