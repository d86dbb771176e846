import { Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * A Reflector for decorator metadata, which is fixed once the application is built: each
 * (key, handler, class) is looked up once, then answered from a map. Guards ask on every request
 * (@nestjs/throttler reads six keys per request, each over the handler and its class, walking
 * prototype chains); the answers never change.
 */
export class FixedMetadataReflector extends Reflector {
  private readonly known = new Map<unknown, WeakMap<object, { target: object; value: unknown }>>();

  override getAllAndOverride<TResult = unknown, TKey = unknown>(
    metadataKey: TKey,
    // Nest's own parameter type: ExecutionContext.getHandler() returns a Function.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    targets: Array<Type<unknown> | Function>,
  ): TResult {
    const [handler, target] = targets;
    if (targets.length !== 2 || !handler || !target) {
      return super.getAllAndOverride<TResult, TKey>(metadataKey, targets);
    }
    let byHandler = this.known.get(metadataKey);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.known.set(metadataKey, byHandler);
    }
    const seen = byHandler.get(handler);
    if (seen?.target === target) {
      return seen.value as TResult;
    }
    const value = super.getAllAndOverride<TResult, TKey>(metadataKey, targets);
    byHandler.set(handler, { target, value });
    return value;
  }
}

/** The one instance: metadata is the same for every module. */
export const fixedMetadata = new FixedMetadataReflector();
