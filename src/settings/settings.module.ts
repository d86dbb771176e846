import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InstanceSettings } from './entities/instance-settings.entity';
import { SettingsService } from './settings.service';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([InstanceSettings])],
  providers: [SettingsService],
  exports: [SettingsService],
})
export class SettingsModule {}
