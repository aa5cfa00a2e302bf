/**
 * The part of oidc-provider 9.x (panva, ships no types) that the test authorization server
 * uses. Shapes follow the library's source (lib/provider.js, lib/models, lib/helpers/errors.js).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface OidcClient {
    readonly clientId: string;
    readonly clientAuthMethod: string;
  }

  export interface OidcContext {
    readonly oidc: {
      readonly params: Record<string, string | string[] | undefined>;
      readonly client: OidcClient;
      readonly provider: Provider;
    };
    body: unknown;
  }

  export interface OidcResourceServer {
    readonly audience?: string;
    readonly scope?: string;
  }

  export interface OidcAccessToken {
    scope?: string;
    resourceServer?: OidcResourceServer;
    readonly expiration: number;
    readonly tokenType: string;
    save(): Promise<string>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    registerGrantType(
      name: string,
      handler: (ctx: OidcContext) => Promise<void>,
      params?: readonly string[] | Set<string>,
      dupes?: readonly string[] | Set<string>,
    ): void;
    on(event: string, listener: (...args: never[]) => void): this;
    readonly AccessToken: new (init: Record<string, unknown>) => OidcAccessToken;
    readonly ResourceServer: new (identifier: string, data: Record<string, unknown>) => OidcResourceServer;
  }

  type OAuthError = new (description?: string) => Error;
  export const errors: {
    readonly InvalidGrant: OAuthError;
    readonly InvalidRequest: OAuthError;
    readonly InvalidTarget: OAuthError;
    readonly InvalidScope: new (description: string, scope?: string) => Error;
    readonly UnauthorizedClient: OAuthError;
  };

  export default Provider;
}
