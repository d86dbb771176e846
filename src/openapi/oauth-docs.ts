import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiResponse,
  ReferenceObject,
  SchemaObject,
} from '@nestjs/swagger';
import { SCOPES } from '../auth/auth-types';
import { OAUTH_ERROR_CODES } from '../oauth/oauth-constants';

// The OAuth2 protocol endpoints speak RFC 6749 (not the API's JSON error body): form bodies in,
// RFC 6749 §5.1 token responses and §5.2 error responses out.

const FORM = 'application/x-www-form-urlencoded';

const clientAuth: Record<string, SchemaObject> = {
  client_id: {
    type: 'string',
    description: 'The client id (client_secret_post, or a public client without a secret).',
  },
  client_secret: {
    type: 'string',
    description: 'client_secret_post; or send both in Authorization: Basic (client_secret_basic).',
  },
};

export const OAUTH_SCHEMAS: Record<string, SchemaObject> = {
  OAuthTokenRequest: {
    type: 'object',
    description:
      'grant_type authorization_code needs code, redirect_uri and code_verifier (PKCE); ' +
      'grant_type refresh_token needs refresh_token.',
    required: ['grant_type'],
    properties: {
      grant_type: { type: 'string', enum: ['authorization_code', 'refresh_token'] },
      code: { type: 'string', description: 'authorization_code: the code from the redirect.' },
      redirect_uri: {
        type: 'string',
        description: 'authorization_code: the redirect_uri of the authorization request.',
      },
      code_verifier: { type: 'string', description: 'authorization_code: the PKCE verifier.' },
      refresh_token: { type: 'string', description: 'refresh_token: the refresh token.' },
      scope: {
        type: 'string',
        description: 'refresh_token: space-separated scopes, no more than granted.',
      },
      ...clientAuth,
    },
  },
  OAuthTokenResponse: {
    type: 'object',
    description: 'RFC 6749 §5.1.',
    required: ['access_token', 'token_type', 'expires_in'],
    properties: {
      access_token: { type: 'string', example: 'tso_…' },
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: {
        type: 'integer',
        example: 7200,
        description: 'The access token’s lifetime in seconds from this answer: always 7200.',
      },
      refresh_token: { type: 'string', example: 'tsr_…' },
      scope: { type: 'string', example: 'read write', description: 'Space-separated.' },
    },
  },
  OAuthError: {
    type: 'object',
    description: 'RFC 6749 §5.2.',
    required: ['error'],
    properties: {
      error: {
        type: 'string',
        enum: [...OAUTH_ERROR_CODES],
      },
      error_description: { type: 'string' },
    },
  },
  OAuthTokenRequestWithToken: {
    type: 'object',
    required: ['token'],
    properties: {
      token: { type: 'string', description: 'An access or refresh token.' },
      token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
      ...clientAuth,
    },
  },
  OAuthIntrospection: {
    type: 'object',
    description: 'RFC 7662 §2.2. An inactive, unknown or foreign token is just { active: false }.',
    required: ['active'],
    properties: {
      active: { type: 'boolean' },
      scope: { type: 'string', description: 'Space-separated.' },
      client_id: { type: 'string' },
      username: { type: 'string' },
      token_type: { type: 'string', enum: ['Bearer', 'refresh_token'] },
      exp: { type: 'integer', description: 'Expiry, seconds since the epoch.' },
      iat: { type: 'integer', description: 'Issued at, seconds since the epoch.' },
      sub: { type: 'string', format: 'uuid', description: 'The user id.' },
      iss: { type: 'string', format: 'uri' },
    },
  },
  OAuthTokenInfo: {
    type: 'object',
    description: 'Doorkeeper’s token info.',
    required: ['resource_owner_id', 'scope', 'expires_in', 'application', 'created_at'],
    properties: {
      resource_owner_id: { type: 'string', format: 'uuid' },
      scope: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
      expires_in: {
        type: 'integer',
        description: 'Seconds the token has left, rounded up (7200 for a fresh token).',
      },
      application: {
        type: 'object',
        required: ['uid'],
        properties: { uid: { type: 'string', description: 'The client id.' } },
      },
      created_at: { type: 'integer', description: 'Seconds since the epoch.' },
    },
  },
  OAuthServerMetadata: {
    type: 'object',
    description: 'RFC 8414 §2.',
    required: [
      'issuer',
      'authorization_endpoint',
      'token_endpoint',
      'response_types_supported',
      'grant_types_supported',
    ],
    properties: {
      issuer: { type: 'string', format: 'uri' },
      authorization_endpoint: { type: 'string', format: 'uri' },
      token_endpoint: { type: 'string', format: 'uri' },
      revocation_endpoint: { type: 'string', format: 'uri' },
      introspection_endpoint: { type: 'string', format: 'uri' },
      scopes_supported: { type: 'array', items: { type: 'string' } },
      response_types_supported: { type: 'array', items: { type: 'string' } },
      response_modes_supported: { type: 'array', items: { type: 'string' } },
      grant_types_supported: { type: 'array', items: { type: 'string' } },
      code_challenge_methods_supported: { type: 'array', items: { type: 'string' } },
      authorization_response_iss_parameter_supported: { type: 'boolean' },
      token_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
      revocation_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
      introspection_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
      service_documentation: { type: 'string', format: 'uri' },
    },
  },
};

const ref = (name: keyof typeof OAUTH_SCHEMAS): ReferenceObject => ({
  $ref: `#/components/schemas/${name}`,
});

const oauthError = (status: number, description: string): MethodDecorator =>
  ApiResponse({ status, description, schema: ref('OAuthError') });

const invalidClient = (): MethodDecorator =>
  ApiResponse({
    status: 401,
    description: 'invalid_client: client authentication failed.',
    schema: ref('OAuthError'),
    headers: {
      'WWW-Authenticate': {
        description: 'Basic realm="tessera", when the client authenticated with HTTP Basic.',
        schema: { type: 'string' },
      },
    },
  });

const clientBasic = (): MethodDecorator =>
  ApiHeader({
    name: 'Authorization',
    required: false,
    description: 'client_secret_basic: Basic base64(client_id:client_secret).',
  });

export const OAuthDocs = {
  metadata: (): MethodDecorator =>
    ApiResponse({ status: 200, description: 'The metadata', schema: ref('OAuthServerMetadata') }),
  token: (): MethodDecorator =>
    applyDecorators(
      ApiConsumes(FORM),
      clientBasic(),
      ApiBody({ schema: ref('OAuthTokenRequest') }),
      ApiResponse({ status: 200, description: 'Tokens issued', schema: ref('OAuthTokenResponse') }),
      oauthError(
        400,
        'invalid_request, invalid_grant, unsupported_grant_type, invalid_scope, unauthorized_client',
      ),
      invalidClient(),
    ),
  tokenInfo: (): MethodDecorator =>
    applyDecorators(
      ApiHeader({
        name: 'Authorization',
        required: true,
        description: 'Bearer with the OAuth access token to describe.',
      }),
      ApiResponse({ status: 200, description: 'The token', schema: ref('OAuthTokenInfo') }),
      ApiResponse({
        status: 401,
        description: 'invalid_token',
        schema: ref('OAuthError'),
        headers: {
          'WWW-Authenticate': {
            description: 'Bearer realm="tessera", error="invalid_token"',
            required: true,
            schema: { type: 'string' },
          },
        },
      }),
    ),
  revoke: (): MethodDecorator =>
    applyDecorators(
      ApiConsumes(FORM),
      clientBasic(),
      ApiBody({ schema: ref('OAuthTokenRequestWithToken') }),
      ApiResponse({
        status: 200,
        description: 'Revoked, or unknown (RFC 7009 §2.2): an empty object',
        schema: { type: 'object', additionalProperties: false },
      }),
      oauthError(400, 'invalid_request (no token)'),
      invalidClient(),
    ),
  introspect: (): MethodDecorator =>
    applyDecorators(
      ApiConsumes(FORM),
      clientBasic(),
      ApiBody({ schema: ref('OAuthTokenRequestWithToken') }),
      ApiResponse({ status: 200, description: 'The token', schema: ref('OAuthIntrospection') }),
      oauthError(400, 'invalid_request (no token)'),
      invalidClient(),
    ),
};
