// The TypeORM CLI entry: `npx typeorm -d build/ormconfig.js migration:run`.
export { AppDataSource as default } from './src/database/data-source';
