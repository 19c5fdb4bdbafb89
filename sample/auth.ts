import { jwtVerify } from 'jose';
import type { Authenticate } from '../lib/index.js';

/** Who a chat user is, as the gateway's hooks and handlers see it. */
export type ChatPrincipal = { userId: string; name: string; staff: boolean };

/**
 * The JWT recipe: HS256 tokens signed with `secret`, `sub` is the user id and `name` (optional)
 * the display name; a `staff: true` claim lets the user into the staff room. The token comes
 * from `Authorization: Bearer`, the `access_token` query parameter or
 * `Sec-WebSocket-Protocol: dws.bearer, <token>` (the library extracts it).
 * Expired, malformed or wrongly signed tokens are refused (`jwtVerify` throws; null is returned).
 *
 * A token to try it with (run in the project, same secret as the server's `JWT_SECRET`):
 * ```sh
 * node -e "import('jose').then(async ({SignJWT}) => console.log(await new SignJWT({name:'Ada'}).setProtectedHeader({alg:'HS256'}).setSubject('ada').setExpirationTime('1h').sign(new TextEncoder().encode(process.env.JWT_SECRET))))"
 * ```
 */
export function jwtAuthenticate(secret: string): Authenticate<ChatPrincipal> {
  const key = new TextEncoder().encode(secret);
  return async (_request, token) => {
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) return null;
      return {
        userId: payload.sub,
        name: typeof payload.name === 'string' ? payload.name : payload.sub,
        staff: payload.staff === true,
      };
    } catch {
      return null;
    }
  };
}
