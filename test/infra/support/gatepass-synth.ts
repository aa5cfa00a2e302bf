import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildGatepassApp, type GatepassApp } from '../../../infra/gatepass-app.js';

export const repositoryRoot = new URL('../../../', import.meta.url).pathname;

/**
 * The context `cdk synth -c gatepass:config=infra/gatepass.config.example.json` runs with:
 * cdk.json's, the example configuration named explicitly (it is never a default), and these overrides.
 */
function cdkJsonContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(repositoryRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return { ...cdkJson.context, 'gatepass:config': join(repositoryRoot, 'infra/gatepass.config.example.json'), ...overrides };
}

export interface SynthesizedGatepass extends GatepassApp {
  readonly app: App;
  readonly assembly: CloudAssembly;
  readonly stateTemplate: Template;
  readonly apiTemplate: Template;
  /** The directory of the asset a Lambda function's code comes from. */
  assetDirectoryOf(functionLogicalIdPrefix: string): string;
  dispose(): void;
}

/** A fresh app, unsynthesized: for tests that add to it or expect it to fail. */
export function buildApp(context: Record<string, unknown> = {}): { app: App; outdir: string } & GatepassApp {
  const outdir = mkdtempSync(join(tmpdir(), 'gatepass-cdk-'));
  const app = new App({ context: cdkJsonContext(context), outdir });
  return { app, outdir, ...buildGatepassApp(app) };
}

/**
 * Build and synthesize the whole app once, as `cdk synth` does (esbuild bundling, cdk-nag:
 * a finding makes `app.synth()` throw). Share the result across a file's assertions.
 */
export function synthGatepass(context: Record<string, unknown> = {}): SynthesizedGatepass {
  const { app, outdir, ...built } = buildApp(context);
  const assembly = app.synth();
  const templateOf = (stackName: string) => Template.fromJSON(assembly.getStackByName(stackName).template as Record<string, unknown>);
  const apiTemplate = templateOf(built.api.stackName);
  return {
    ...built,
    app,
    assembly,
    stateTemplate: templateOf(built.state.stackName),
    apiTemplate,
    assetDirectoryOf(prefix: string) {
      const functions = apiTemplate.findResources('AWS::Lambda::Function');
      const entry = Object.entries(functions).find(([logicalId]) => logicalId.startsWith(prefix));
      if (!entry) throw new Error(`no Lambda function ${prefix}* in ${Object.keys(functions).join(', ')}`);
      const key = (entry[1] as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key;
      return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    },
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** Every acknowledgement (rule id → reason) recorded anywhere in the app. */
export function acknowledgementsOf(app: App): Map<string, { path: string; reason: string }[]> {
  const found = new Map<string, { path: string; reason: string }[]>();
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const list = found.get(id) ?? [];
        list.push({ path: construct.node.path, reason });
        found.set(id, list);
      }
    }
  }
  return found;
}
