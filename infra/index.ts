/**
 * What a CDK app of your own imports to add gatepass to it: an explicit list, no `export *`.
 * Guide: docs/deploy.md "Add gatepass to an API you already have".
 */
export { loadGatepassConfig, type GatepassConfigSource } from './gatepass-config-source.js';
export { GatepassCacheTable, type GatepassCacheTableProps } from './constructs/gatepass-cache-table.js';
export { GatepassFunctions, type GatepassCacheState, type GatepassFunctionsProps } from './constructs/gatepass-functions.js';
export { GatepassHttpRoutes, type GatepassHttpRoutesProps } from './constructs/gatepass-http-routes.js';
export { GatepassRestRoutes, type GatepassRestRoutesProps } from './constructs/gatepass-rest-routes.js';
export { GatepassHttpApi, type GatepassHttpApiProps } from './constructs/gatepass-http-api.js';
export { GatepassRestApi, type GatepassRestApiProps } from './constructs/gatepass-rest-api.js';
export { GatepassAlarms } from './constructs/gatepass-alarms.js';
export { GatepassDashboard } from './constructs/gatepass-dashboard.js';
export { deployabilityIssues } from './deployable-config.js';
export { httpCorsPreflight } from './cors-preflight.js';
