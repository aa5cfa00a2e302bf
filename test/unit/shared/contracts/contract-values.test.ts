import { describe, expect, it } from 'vitest';
import { CacheTableAttribute, GENERATED_CACHE_KEY_MATERIAL_LENGTH, MIN_CACHE_KEY_MATERIAL_LENGTH } from '../../../../functions/shared/contracts/cache-table.js';
import {
  BUNDLE_INTROSPECTION_ENV,
  BUNDLE_MCP_ENV,
  CACHE_KEY_SECRET_ENV,
  CACHE_TABLE_ENV,
  CONFIG_ENV,
  CONFIG_FILE_ENV,
  LOCAL_STATE_FILE_ENV,
} from '../../../../functions/shared/contracts/environment-variables.js';

// Deployed stacks, existing tables and operators' scripts depend on these exact values:
// changing one is a breaking change, never a refactoring.
describe('contract values', () => {
  it('names the environment variables as deployed functions and the docs know them', () => {
    expect([CONFIG_ENV, CONFIG_FILE_ENV, CACHE_TABLE_ENV, CACHE_KEY_SECRET_ENV, BUNDLE_INTROSPECTION_ENV, BUNDLE_MCP_ENV, LOCAL_STATE_FILE_ENV]).toEqual([
      'GATEPASS_CONFIG',
      'GATEPASS_CONFIG_FILE',
      'GATEPASS_CACHE_TABLE',
      'GATEPASS_CACHE_KEY_SECRET_ID',
      'GATEPASS_BUNDLE_INTROSPECTION',
      'GATEPASS_BUNDLE_MCP',
      'GATEPASS_LOCAL_STATE',
    ]);
  });

  it('names the cache item attributes as existing tables hold them', () => {
    expect(CacheTableAttribute).toEqual({
      PartitionKey: 'pk',
      ExpiresAt: 'expiresAt',
      SealedToken: 'sealedToken',
      IssuedTokenType: 'issuedTokenType',
      TokenType: 'tokenType',
      Scope: 'scope',
      CreatedAt: 'createdAt',
    });
  });

  it('asks for cache key material of at least 32 characters and generates 64', () => {
    expect(MIN_CACHE_KEY_MATERIAL_LENGTH).toBe(32);
    expect(GENERATED_CACHE_KEY_MATERIAL_LENGTH).toBe(64);
  });
});
