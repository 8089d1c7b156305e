// Original file: proto/tollgate/v1/forward.proto


export interface HttpRequest {
  'method'?: (string);
  'path'?: (string);
  'body'?: (Buffer | Uint8Array | string);
  'headers'?: ({[key: string]: string});
  'region'?: (string);
  'origin_region'?: (string);
}

export interface HttpRequest__Output {
  'method': (string);
  'path': (string);
  'body': (Buffer);
  'headers': ({[key: string]: string});
  'region': (string);
  'origin_region': (string);
}
