import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

// The DataSource for the TypeORM CLI (migration:run, migration:generate).
export const AppDataSource = new DataSource(dataSourceOptions(loadConfig(process.env)));
