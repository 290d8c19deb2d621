# expect: attempted to use command 'mirror' as test
require "vnd.standby.mirror";
if mirror { keep; }
