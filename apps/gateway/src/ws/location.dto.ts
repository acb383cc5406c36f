import { IsInt, IsNumber, IsString, Length, Max, Min } from 'class-validator';
import { IsOmittable } from '../http/omittable.js';

/** A point in decimal degrees (the domain checks the ranges again: it decides what enters the log). */
export class PointDto {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-90)
  @Max(90)
  latitude!: number;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-180)
  @Max(180)
  longitude!: number;
}

/** A location message: a point, an optional place name and address, and for live location how long. */
export class LocationAttachmentDto extends PointDto {
  @IsOmittable()
  @IsString()
  @Length(1, 256)
  name?: string;

  @IsOmittable()
  @IsString()
  @Length(1, 512)
  address?: string;

  /** Live location: shared for this many seconds (60-28800), updated with message.edit. */
  @IsOmittable()
  @IsInt()
  @Min(60)
  @Max(8 * 3600)
  liveSeconds?: number;
}
