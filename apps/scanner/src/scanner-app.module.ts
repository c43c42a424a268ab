import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScanRunnerModule } from '@app/scans';

// The runner alone (no scheduler, no HTTP): the store from DATABASE_URL, else the embedded one in DATA_DIR.
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }), ScanRunnerModule],
})
export class ScannerAppModule {}
