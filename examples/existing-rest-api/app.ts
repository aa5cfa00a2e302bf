#!/usr/bin/env node
/**
 * `npx cdk synth --app "npx tsx examples/existing-rest-api/app.ts" -c gatepass:config=examples/orders.gatepass.json`
 * (add `-c teamRestApiId=<id> -c teamRestApiRootResourceId=<id> -c teamRestApiStage=<name>` to
 * attach to a REST API that exists already).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TeamRestApiStack } from './team-rest-api-stack.js';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' ? value : undefined;
};
const configFile = context('gatepass:config');
if (configFile === undefined) throw new Error('set -c gatepass:config=<file> (try examples/orders.gatepass.json)');
const restApiId = context('teamRestApiId');
const rootResourceId = context('teamRestApiRootResourceId');
// Refused here rather than by CloudFormation at deploy time: an imported REST API needs its root resource.
if (restApiId !== undefined && rootResourceId === undefined) throw new Error('-c teamRestApiId needs -c teamRestApiRootResourceId=<id> too (aws apigateway get-resources --rest-api-id <id>)');
const importRestApi = restApiId === undefined || rootResourceId === undefined ? undefined : { restApiId, rootResourceId, stageName: context('teamRestApiStage') ?? 'prod' };
new TeamRestApiStack(app, 'TeamRestApi', { configFile, ...(importRestApi === undefined ? {} : { importRestApi }) });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
