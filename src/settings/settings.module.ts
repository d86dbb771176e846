import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from '../users/entities/user.entity';
import { AtRestEncryption } from './at-rest-encryption.service';
import { InstanceSecret } from './entities/instance-secret.entity';
import { InstanceSettings } from './entities/instance-settings.entity';
import { AdminSettingsController } from './admin-settings.controller';
import { SettingsService } from './settings.service';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([InstanceSettings, InstanceSecret, User])],
  controllers: [AdminSettingsController],
  providers: [SettingsService, AtRestEncryption],
  exports: [SettingsService, AtRestEncryption],
})
export class SettingsModule {}
