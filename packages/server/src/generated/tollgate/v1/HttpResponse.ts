// Original file: proto/tollgate/v1/forward.proto


export interface HttpResponse {
  'status'?: (number);
  'headers'?: ({[key: string]: string});
  'body'?: (Buffer | Uint8Array | string);
}

export interface HttpResponse__Output {
  'status': (number);
  'headers': ({[key: string]: string});
  'body': (Buffer);
}
