import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  Deployment,
  EndpointType,
  LogGroupLogDestination,
  MethodLoggingLevel,
  MockIntegration,
  RestApi,
  type IRestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { GatepassCacheTable, GatepassFunctions, GatepassRestRoutes, loadGatepassConfig } from '../../infra/index.js';

export interface TeamRestApiStackProps extends StackProps {
  /** The gatepass configuration file. */
  readonly configFile: string;
  /**
   * Add gatepass to a REST API that lives elsewhere, by id: its root resource id and the
   * stage a new deployment goes to.
   * @default - the team's API is defined here, with a resource gatepass does not own
   */
  readonly importRestApi?: { readonly restApiId: string; readonly rootResourceId: string; readonly stageName: string };
}

/**
 * A team's existing REST API, with a resource of its own (`GET /health`), to which gatepass
 * adds its configured routes. The gatepass part is the four statements after the API.
 */
export class TeamRestApiStack extends Stack {
  public readonly api: IRestApi;
  public readonly gatepass: GatepassRestRoutes;

  constructor(scope: Construct, id: string, props: TeamRestApiStackProps) {
    super(scope, id, props);
    const imported = props.importRestApi;
    this.api = imported === undefined ? this.teamApi() : RestApi.fromRestApiAttributes(this, 'TeamApi', imported);

    const config = loadGatepassConfig(props.configFile);
    const state = new GatepassCacheTable(this, 'GatepassState');
    const functions = new GatepassFunctions(this, 'GatepassFunctions', { config, cache: state });
    this.gatepass = new GatepassRestRoutes(this, 'GatepassRoutes', {
      restApi: this.api,
      routes: config.config.routes,
      authorizerFunction: functions.authorizer,
      exchangeFunction: functions.exchange,
    });

    if (imported !== undefined) {
      // CDK redeploys a RestApi it defines; an imported one needs a deployment of its own,
      // named after the whole route configuration (cors and authorizer settings included), so
      // that any change of what gatepass wires makes a new one instead of leaving the old snapshot.
      const deployment = new Deployment(this, 'GatepassDeployment', { api: this.api, stageName: imported.stageName });
      deployment.addToLogicalId(config.config.routes);
      deployment.node.addDependency(this.gatepass);
    }
  }

  /** What the team had before gatepass: an API, its stage, and a public health resource. */
  private teamApi(): RestApi {
    const accessLogs = new LogGroup(this, 'TeamApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    const api = new RestApi(this, 'TeamApi', {
      restApiName: 'team-api',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'prod',
        loggingLevel: MethodLoggingLevel.ERROR,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const health = api.root.addResource('health').addMethod(
      'GET',
      new MockIntegration({ requestTemplates: { 'application/json': '{"statusCode": 200}' }, integrationResponses: [{ statusCode: '200' }] }),
      { methodResponses: [{ statusCode: '200' }] },
    );
    Validations.of(health).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: 'The team\'s public health check: no caller identity by design.' },
      { id: 'AwsSolutions-COG4', reason: 'The team\'s public health check: no caller identity by design.' },
    );
    Validations.of(api).acknowledge(
      { id: 'AwsSolutions-APIG2', reason: 'Example: request validation belongs to the team\'s own methods and to the upstreams.' },
      { id: 'AwsSolutions-APIG3', reason: 'Example: a WAF web ACL is the team\'s choice, outside this example.' },
    );
    return api;
  }
}
