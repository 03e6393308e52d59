CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`key_prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`role` text NOT NULL,
	`status` text NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`last_used_at` text,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_workspace` ON `api_keys` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `loader_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`loader_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`status` text NOT NULL,
	`trigger` text NOT NULL,
	`started_at` text,
	`completed_at` text,
	`rows_loaded` integer DEFAULT 0 NOT NULL,
	`streams_total` integer DEFAULT 0 NOT NULL,
	`streams_failed` integer DEFAULT 0 NOT NULL,
	`error_message` text DEFAULT '' NOT NULL,
	`triggered_by` text,
	`job_id` text,
	`streams` text DEFAULT '[]' NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `loader_runs_loader_created` ON `loader_runs` (`loader_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `loader_runs_one_live` ON `loader_runs` (`loader_id`) WHERE status in ('pending', 'running');--> statement-breakpoint
CREATE TABLE `loaders` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`source_id` text NOT NULL,
	`name` text NOT NULL,
	`loader_type` text NOT NULL,
	`config` text NOT NULL,
	`config_secrets` text,
	`target_schema` text NOT NULL,
	`selected_streams` text NOT NULL,
	`sync_mode` text NOT NULL,
	`schedule` text,
	`status` text NOT NULL,
	`status_error` text DEFAULT '' NOT NULL,
	`next_run_at` text,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`last_run_at` text,
	`last_run_id` text,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `loaders_workspace` ON `loaders` (`workspace_id`);--> statement-breakpoint
CREATE INDEX `loaders_due` ON `loaders` (`status`,`next_run_at`);--> statement-breakpoint
CREATE TABLE `sources` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`source_type` text NOT NULL,
	`config` text NOT NULL,
	`config_secrets` text,
	`status` text NOT NULL,
	`status_error` text DEFAULT '' NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sources_workspace` ON `sources` (`workspace_id`);--> statement-breakpoint
CREATE TABLE `stream_states` (
	`loader_id` text NOT NULL,
	`stream` text NOT NULL,
	`state` text NOT NULL,
	`run_id` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`loader_id`, `stream`)
);
--> statement-breakpoint
CREATE TABLE `workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
