/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "llist.h"
#include "ioloop.h"
#include "istream.h"
#include "strescape.h"
#include "master-service.h"
#include "worker-scheduler.h"
#include "worker-poke-listener.h"

#include <unistd.h>

#define WORKER_POKE_MAX_LINE 1024
#define WORKER_POKE_TIMEOUT_MSECS (10*1000)

struct worker_poke_client {
	struct worker_poke_client *prev, *next;
	int fd;
	struct io *io;
	struct istream *input;
	struct timeout *to;
};

static struct worker_poke_client *poke_clients = NULL;

static void worker_poke_client_destroy(struct worker_poke_client *client)
{
	DLLIST_REMOVE(&poke_clients, client);
	timeout_remove(&client->to);
	io_remove(&client->io);
	i_stream_destroy(&client->input);
	i_close_fd(&client->fd);
	i_free(client);
	master_service_client_connection_destroyed(master_service);
}

static void worker_poke_client_line(const char *line)
{
	const char *const *args = t_strsplit_tabescaped(line);

	if (args[0] != NULL && strcmp(args[0], "POKE") == 0 &&
	    args[1] != NULL && args[1][0] != '\0' && args[2] == NULL)
		worker_scheduler_poke(args[1]);
	else
		i_error("standby-worker: Invalid input: %s", line);
}

static void worker_poke_client_input(struct worker_poke_client *client)
{
	const char *line;

	while ((line = i_stream_read_next_line(client->input)) != NULL) T_BEGIN {
		worker_poke_client_line(line);
	} T_END;
	if (client->input->eof || client->input->stream_errno != 0 ||
	    i_stream_get_data_size(client->input) >= WORKER_POKE_MAX_LINE)
		worker_poke_client_destroy(client);
}

static void worker_poke_client_timeout(struct worker_poke_client *client)
{
	worker_poke_client_destroy(client);
}

void worker_poke_listener_accept(struct master_service_connection *conn)
{
	struct worker_poke_client *client;

	master_service_client_connection_accept(conn);
	client = i_new(struct worker_poke_client, 1);
	client->fd = conn->fd;
	client->input = i_stream_create_fd(conn->fd, WORKER_POKE_MAX_LINE);
	client->io = io_add(conn->fd, IO_READ, worker_poke_client_input,
			    client);
	client->to = timeout_add(WORKER_POKE_TIMEOUT_MSECS,
				 worker_poke_client_timeout, client);
	DLLIST_PREPEND(&poke_clients, client);
	worker_poke_client_input(client);
}

void worker_poke_listener_deinit(void)
{
	while (poke_clients != NULL)
		worker_poke_client_destroy(poke_clients);
}
