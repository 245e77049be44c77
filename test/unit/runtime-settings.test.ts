import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/domain/errors.ts';
import { runtimeSettings } from '../../infra/local/settings.ts';

describe("npm start's settings", () => {
  it("LOG_LEVEL is one of Lambda's application log levels; unset, the template's stands", () => {
    expect(runtimeSettings({ LOG_LEVEL: 'WARN' }).logLevel).toBe('WARN');
    expect(runtimeSettings({ LOG_LEVEL: 'debug' }).logLevel).toBe('DEBUG');
    expect(runtimeSettings({}).logLevel).toBeUndefined();
    expect(runtimeSettings({ LOG_LEVEL: '' }).logLevel).toBeUndefined();
  });

  it('a LOG_LEVEL Lambda does not know stops the start, naming the variable', () => {
    expect(() => runtimeSettings({ LOG_LEVEL: 'SILENT' })).toThrow(ConfigurationError);
    expect(() => runtimeSettings({ LOG_LEVEL: 'SILENT' })).toThrow(/LOG_LEVEL/);
  });
});
