import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { RemediationModule } from '@app/remediation';

@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }), RemediationModule],
})
export class RemediatorAppModule {}
