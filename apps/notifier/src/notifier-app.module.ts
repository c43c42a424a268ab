import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NotifierModule } from '@app/notifier';
import { StoreModule } from '@app/store';

// The store opens from DATABASE_URL, else the embedded one in DATA_DIR (one process at a time), and migrates at boot.
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }), StoreModule, NotifierModule],
})
export class NotifierAppModule {}
