# expect: keyword contains '*'
require "vnd.standby.mirror";
mirror :flags "Order*";
