CREATE TABLE `account_features` (
	`account_id` integer NOT NULL,
	`feature_id` integer NOT NULL,
	`date_created` text NOT NULL,
	PRIMARY KEY(`account_id`, `feature_id`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`feature_id`) REFERENCES `features`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`date_created` text NOT NULL,
	`date_modified` text
);
--> statement-breakpoint
CREATE TABLE `execution_counts` (
	`id` integer PRIMARY KEY NOT NULL,
	`account_id` integer NOT NULL,
	`execution_count` integer NOT NULL,
	`next_reset_date` text NOT NULL,
	`date_created` text NOT NULL,
	`date_modified` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `execution_counts_account_id_unique` ON `execution_counts` (`account_id`);--> statement-breakpoint
CREATE INDEX `execution_counts_next_reset_date_idx` ON `execution_counts` (`next_reset_date`);--> statement-breakpoint
CREATE TABLE `execution_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`type` text NOT NULL,
	`delta` integer NOT NULL,
	`execution_count` integer NOT NULL,
	`idempotency_key` text,
	`date_created` text NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `execution_history_account_key_idx` ON `execution_history` (`account_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `execution_history_account_id_idx` ON `execution_history` (`account_id`,`id`);--> statement-breakpoint
CREATE TABLE `features` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`execution_credits` integer DEFAULT 0 NOT NULL,
	`date_created` text NOT NULL,
	`date_modified` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `features_name_unique` ON `features` (`name`);