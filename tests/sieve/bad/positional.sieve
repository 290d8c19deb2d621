# expect: the mirror command requires 0 positional argument
require "vnd.standby.mirror";
mirror "Orders";
