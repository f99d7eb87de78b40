import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobTypeRegistry } from './job-types.js';

describe('JobTypeRegistry', () => {
  it('knows the built-in types, command needing admin', () => {
    const types = new JobTypeRegistry();
    expect(types.types()).toEqual(['command', 'noop']);
    expect(types.require('command').role).toBe('admin');
    expect(types.require('noop').role).toBe('editor');
  });

  it('parses payloads with defaults, and names the bad field', () => {
    const types = new JobTypeRegistry();
    expect(types.parsePayload('command', { command: ['ls', '-l'] })).toEqual({ command: ['ls', '-l'], env: {} });
    expect(types.parsePayload('noop', undefined)).toEqual({ sleepMs: 0 });
    expect(() => types.parsePayload('command', { command: [] })).toThrow(
      expect.objectContaining({ code: 'job_payload_invalid', message: expect.stringContaining('"payload.command"') }),
    );
  });

  it('refuses unknown types listing the known ones, and registering a type twice', () => {
    const types = new JobTypeRegistry({ builtIns: false }).register({ type: 'a.b', payload: z.object({}), role: 'editor', description: 'x' });
    expect(() => types.require('c')).toThrow(expect.objectContaining({ code: 'job_type_unknown', message: 'Unknown job type "c". Known types: a.b.' }));
    expect(() => types.register({ type: 'a.b', payload: z.object({}), role: 'editor', description: 'x' })).toThrow(/twice/);
  });
});
