import { Injectable, type PipeTransform } from '@nestjs/common';
import { RequestValidationException } from '@app/platform';

const MESSAGE = 'id must be a scan id: a positive integer';

/** A scan id from the path: digits only, within bigint, else a 400 naming the field. */
@Injectable()
export class ScanIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^[1-9]\d{0,15}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id)) {
      throw new RequestValidationException([{ field: 'id', messages: [MESSAGE] }]);
    }
    return id;
  }
}
