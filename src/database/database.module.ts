import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { DatabaseService } from './database.service';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config),
          // Migrations are the schema (SPEC §2): applied on every start, never synchronize.
          migrationsRun: true,
          retryAttempts: 10,
          retryDelay: 2000,
        }),
      ],
      providers: [DatabaseService],
      exports: [DatabaseService],
    };
  }
}
