import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import 'reflect-metadata';
import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FixedMetadataReflector } from './fixed-metadata';

const KEY = 'fixed-metadata-spec';

@SetMetadata(KEY, 'class')
class Decorated {
  @SetMetadata(KEY, 'handler')
  own(): void {}

  inherited(): void {}
}

@SetMetadata(KEY, 'subclass')
class Subclass extends Decorated {}

class Plain {
  bare(): void {}
}

describe('FixedMetadataReflector', () => {
  it("answers what Nest's Reflector answers: the handler's value, else the class's, else undefined", () => {
    const fixed = new FixedMetadataReflector();
    const plain = new Reflector();
    const cases: Array<[(...args: never[]) => unknown, new () => object]> = [
      [Decorated.prototype.own, Decorated],
      [Decorated.prototype.inherited, Decorated],
      // One handler reached through two classes: each class keeps its own answer.
      [Decorated.prototype.inherited, Subclass],
      [Decorated.prototype.own, Subclass],
      [Plain.prototype.bare, Plain],
    ];
    const expected = ['handler', 'class', 'subclass', 'handler', undefined];
    for (let round = 0; round < 2; round++) {
      cases.forEach(([handler, type], i) => {
        assert.equal(plain.getAllAndOverride(KEY, [handler, type]), expected[i]);
        assert.equal(fixed.getAllAndOverride(KEY, [handler, type]), expected[i], `case ${i}`);
      });
    }
  });

  it('reads each (key, handler, class) once: metadata set later is not seen', () => {
    const fixed = new FixedMetadataReflector();
    assert.equal(fixed.getAllAndOverride(KEY, [Plain.prototype.bare, Plain]), undefined);
    Reflect.defineMetadata(KEY, 'late', Plain);
    try {
      assert.equal(fixed.getAllAndOverride(KEY, [Plain.prototype.bare, Plain]), undefined);
      assert.equal(new Reflector().getAllAndOverride(KEY, [Plain.prototype.bare, Plain]), 'late');
      // Other target lists than (handler, class) are not remembered.
      assert.equal(fixed.getAllAndOverride(KEY, [Plain]), 'late');
    } finally {
      Reflect.deleteMetadata(KEY, Plain);
    }
  });
});
