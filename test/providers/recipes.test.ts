import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../functions/shared/config/config-validator.js';
import { jsonBlocksOf, recipeMarkdown } from '../support/recipe-gateway.js';

/**
 * The recipe pages stay runnable: every page of docs/providers (but the index and the Cognito
 * note, which has no exchange to configure) holds exactly one configuration the schema accepts,
 * has a provider test that runs it, and is listed in the index.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const NOT_RECIPES = new Set(['README.md', 'cognito.md']);
const pages = readdirSync(`${root}docs/providers`).filter((file) => file.endsWith('.md'));
const recipes = pages.filter((file) => !NOT_RECIPES.has(file)).map((file) => file.replace(/\.md$/, ''));

describe('docs/providers', () => {
  it('has the eight provider recipes', () => {
    expect([...recipes].sort()).toEqual(['auth0', 'entra-id', 'google-sts', 'keycloak', 'okta', 'pingfederate', 'spring-authorization-server', 'zitadel']);
  });

  it.each(recipes)('%s: one json configuration block, which the schema and the validator accept', (recipe) => {
    const blocks = jsonBlocksOf(recipeMarkdown(recipe));
    expect(blocks).toHaveLength(1);
    const result = validateConfig(JSON.parse(blocks[0]!));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it.each(recipes)('%s: a provider test runs the page', (recipe) => {
    const test = readFileSync(`${root}test/providers/${recipe}.test.ts`, 'utf8');
    expect(test).toContain(`startRecipeGateway('${recipe}'`);
  });

  it('lists every page in the index', () => {
    const index = readFileSync(`${root}docs/providers/README.md`, 'utf8');
    const missing = pages.filter((page) => page !== 'README.md' && !index.includes(`](${page})`));
    expect(missing).toEqual([]);
  });
});
