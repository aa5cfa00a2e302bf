#!/usr/bin/env node
/**
 * `npx cdk synth --app "npx tsx examples/existing-http-api/app.ts" -c gatepass:config=examples/orders.gatepass.json`
 * (add `-c teamHttpApiId=<id>` to attach to an HTTP API that exists already).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TeamHttpApiStack } from './team-http-api-stack.js';

const app = new App();
const configFile: unknown = app.node.tryGetContext('gatepass:config');
if (typeof configFile !== 'string') throw new Error('set -c gatepass:config=<file> (try examples/orders.gatepass.json)');
const importHttpApiId: unknown = app.node.tryGetContext('teamHttpApiId');
new TeamHttpApiStack(app, 'TeamHttpApi', { configFile, ...(typeof importHttpApiId === 'string' ? { importHttpApiId } : {}) });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
