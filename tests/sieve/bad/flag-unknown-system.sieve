# expect: unknown system flag
require "vnd.standby.mirror";
mirror :flags "\\Important";
