import { Column, ColumnOptions, PrimaryColumn } from 'typeorm';

// Column shapes shared by every entity, portable between MySQL and SQLite.
export const IdColumn = (): PropertyDecorator => PrimaryColumn({ type: 'varchar', length: 36 });

export const RefColumn = (name: string, options: ColumnOptions = {}): PropertyDecorator =>
  Column({ name, type: 'varchar', length: 36, ...options });

export const DateColumn = (name: string, options: ColumnOptions = {}): PropertyDecorator =>
  Column({ name, type: 'datetime', ...options });
