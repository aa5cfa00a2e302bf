// `npm start` will bring up the whole local flow (gateway, dynalite, Secrets Manager
// endpoint, two OAuth servers, echo upstream): coming in #5.
console.log('npm start: the local stack is coming in #5. Until then: npm test, npm run config:check -- infra/gatepass.config.example.json');
