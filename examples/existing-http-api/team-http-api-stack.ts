import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { GatepassCacheTable, GatepassFunctions, GatepassHttpRoutes, loadGatepassConfig } from '../../infra/index.js';

export interface TeamHttpApiStackProps extends StackProps {
  /** The gatepass configuration file. */
  readonly configFile: string;
  /**
   * Add gatepass to an HTTP API that lives elsewhere (another stack, the console), by id.
   * @default - the team's API is defined here, with a route gatepass does not own
   */
  readonly importHttpApiId?: string;
}

/**
 * A team's existing HTTP API, with a route of its own (`GET /health`), to which gatepass adds
 * its configured routes. The gatepass part is the last four statements.
 */
export class TeamHttpApiStack extends Stack {
  public readonly api: IHttpApi;
  public readonly gatepass: GatepassHttpRoutes;

  constructor(scope: Construct, id: string, props: TeamHttpApiStackProps) {
    super(scope, id, props);
    this.api = props.importHttpApiId === undefined ? this.teamApi() : HttpApi.fromHttpApiAttributes(this, 'TeamApi', { httpApiId: props.importHttpApiId });

    const config = loadGatepassConfig(props.configFile);
    const state = new GatepassCacheTable(this, 'GatepassState');
    const functions = new GatepassFunctions(this, 'GatepassFunctions', { config, cache: state });
    this.gatepass = new GatepassHttpRoutes(this, 'GatepassRoutes', {
      httpApi: this.api,
      routes: config.config.routes,
      authorizerFunction: functions.authorizer,
      exchangeFunction: functions.exchange,
    });
  }

  /** What the team had before gatepass: an API, its stage, and a public health route. */
  private teamApi(): HttpApi {
    const api = new HttpApi(this, 'TeamApi', { apiName: 'team-api', createDefaultStage: false });
    const accessLogs = new LogGroup(this, 'TeamApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    new HttpStage(this, 'TeamApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' })),
      },
    });
    const [health] = api.addRoutes({
      path: '/health',
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('Status', 'https://status.team.example/health'),
    });
    // (COG4, Cognito authorizers, checks REST methods only: nothing to acknowledge on an HTTP route.)
    Validations.of(health!).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'The team\'s public health check: no caller identity by design.' });
    return api;
  }
}
