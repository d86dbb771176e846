import { Column, ColumnOptions, PrimaryColumn } from 'typeorm';

// Column shapes shared by every entity, portable between MySQL and SQLite.
export const IdColumn = (): PropertyDecorator => PrimaryColumn({ type: 'varchar', length: 36 });

export const RefColumn = (name: string, options: ColumnOptions = {}): PropertyDecorator =>
  Column({ name, type: 'varchar', length: 36, ...options });

// DATETIME(3) on MySQL (migration 1764300000000); SQLite keeps milliseconds in its text form.
export const DateColumn = (name: string, options: ColumnOptions = {}): PropertyDecorator =>
  Column({ name, type: 'datetime', precision: 3, ...options });

/** A DATETIME read raw (without an entity): a Date from mysql2, UTC text from SQLite. */
export function rawDate(value: Date | string): Date {
  if (value instanceof Date) {
    return value;
  }
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}
